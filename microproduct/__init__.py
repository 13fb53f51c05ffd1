"""microproduct"""
