"""Every read-side aggregation of CertTrack, one module per reader (the only place that sums)."""
