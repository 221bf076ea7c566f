-- How many runs a worker instance accepts in one grouped dispatch (`POST {baseUrl}/dispatches`),
-- as it said at registration; NULL: it only takes single dispatches.
ALTER TABLE service_instances ADD COLUMN dispatch_group_max integer;
