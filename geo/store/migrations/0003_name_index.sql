-- The duplicate check of every write looks up the records with the new record's name.
CREATE INDEX platforms_name_zh ON platforms ((record ->> 'name_zh'));
