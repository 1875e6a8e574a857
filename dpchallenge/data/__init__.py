"""The data folder: what DPC_DATA_DIR holds, how it is read, written and checked."""
