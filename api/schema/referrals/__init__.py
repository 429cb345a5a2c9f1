"""api/schema/referrals"""
