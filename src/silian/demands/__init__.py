"""Demands (企业技术需求 / 榜单) and bids (揭榜方案) on them."""
