"""Reports of one patient's journal: trend series and weekly summaries, SVG charts, the
printable visit summary, and their pages."""
