/* The TEST installer's equivalent of the last migration of Harbor 2.15: the schema version that
   core records is Harbor's; the stand-ins' tables need no change here. */
SELECT 1;
