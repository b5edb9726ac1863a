"""WebSockets: the endpoint, connections and their transport, rooms (a synchronous core
under an async shell), presence, and the backplane between instances."""
