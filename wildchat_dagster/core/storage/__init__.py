"""Storage of stage partitions under the data root."""
