"""Data: the XC data model, file formats, the Wikipedia benchmark builder and synthetic worlds."""
from ramen_edu.data.dataset import AnchorSet, XCDataset, as_csr

__all__ = ["AnchorSet", "XCDataset", "as_csr"]
