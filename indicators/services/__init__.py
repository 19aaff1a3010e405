"""Every write to quarterly counts, one module per area of the workflow."""
