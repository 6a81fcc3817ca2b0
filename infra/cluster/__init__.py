"""State shared by the processes of one node through Redis: presence, typing, gateway
routing and rate-limit counters. All of it is ephemeral: losing Redis loses no
acknowledged write, and each process re-asserts what it holds once Redis is back."""
