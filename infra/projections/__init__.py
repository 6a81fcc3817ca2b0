"""Following the log: projection runners, generations and rebuilds, the key shredder."""
