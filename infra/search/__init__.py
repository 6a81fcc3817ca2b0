"""Message search: the search projection's bookkeeping and its index backends."""
