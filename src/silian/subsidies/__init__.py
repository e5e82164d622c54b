"""Policies (政策/专项资金) and subsidy applications (补贴申请) with computed amounts and caps."""
