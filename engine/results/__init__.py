"""Results: what runs produce, the statistics over seeds, and exports; no TensorFlow, so stored runs read fast."""
