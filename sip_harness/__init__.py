"""cutover SIP side: Asterisk, AMI, pjsua2 agents and call checks (imports sim; never reverse)."""
