"""Adapters that let agent frameworks use memlab as their memory (each needs its optional extra):
``openai_agents.MemlabSession`` (``memlab[agents]``) and ``mcp_server`` (``memlab[mcp]``)."""
