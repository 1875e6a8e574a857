"""Datasets built from a crawl: AVA files, Parquet, imagefolder, WebDataset, and the report."""
