// Mask2Former module.
