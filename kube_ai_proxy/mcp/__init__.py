"""The MCP face: the only package that imports fastmcp (the server and its lifespan, the tools,
resources and prompts, HTTP authentication)."""
