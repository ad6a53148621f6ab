/** Injection token for the validated IngestionConfig the app was booted with. */
export const INGESTION_CONFIG = Symbol('INGESTION_CONFIG');
