"""Jobs: heavy work (training) in its own process behind one runner interface."""
