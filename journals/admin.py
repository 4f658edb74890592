# Journal entries are health data: clinic staff manage accounts in the admin, not diaries.
