DROP FUNCTION IF EXISTS heal_due(float8);
