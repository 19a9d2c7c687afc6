"""Understanding customer language: the embedded model's scores for the signals."""
