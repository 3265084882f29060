"""Reading sources as Arrow batches (with quarantine) and writing outputs atomically."""
