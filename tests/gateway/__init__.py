"""The real MCP Gateway reading specgen's data through its REST API (see test_gateway_read.py)."""
