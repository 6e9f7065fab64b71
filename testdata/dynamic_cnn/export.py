"""Exports testdata/dynamic_cnn: a small CNN with a symbolic batch, height and
width, and expected outputs from PyTorch at three input sizes.

Run from this folder with Debian's python3-torch and python3-onnx:
    python3 export.py
The onyx tests only read the files it writes; they never run it.
"""
import os

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper


class DynamicCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.max_pool2d(y, 2)
        y = F.relu(self.conv2(y))
        # Upsampling by a scale and flattening by the batch size make the
        # exporter write shape arithmetic (Shape, Gather, Concat, Resize,
        # Reshape) that depends on the input's size.
        up = F.interpolate(y, scale_factor=2.0, mode="nearest")
        pooled = up.mean(dim=(2, 3))
        logits = self.fc(pooled.reshape(pooled.shape[0], -1))
        return logits, up


def main():
    torch.manual_seed(7)
    model = DynamicCNN()
    with torch.no_grad():  # calibrated, non-trivial BatchNorm statistics
        model.bn1.running_mean.uniform_(-0.5, 0.5)
        model.bn1.running_var.uniform_(0.5, 1.5)
    model.eval()
    x = torch.randn(1, 3, 32, 32)
    torch.onnx.export(
        model, x, "model.onnx", opset_version=13,
        input_names=["image"], output_names=["logits", "features"],
        dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"},
                      "logits": {0: "batch"},
                      "features": {0: "batch", 2: "fheight", 3: "fwidth"}})
    onnx.checker.check_model(onnx.load("model.onnx"))
    sizes = [(1, 32, 32), (2, 48, 40), (3, 17, 29)]
    for i, (n, h, w) in enumerate(sizes):
        d = f"test_data_set_{i}"
        os.makedirs(d, exist_ok=True)
        x = torch.randn(n, 3, h, w)
        with torch.no_grad():
            logits, feats = model(x)
        for name, t in [("input_0", x), ("output_0", logits), ("output_1", feats)]:
            with open(os.path.join(d, name + ".pb"), "wb") as f:
                f.write(numpy_helper.from_array(t.numpy().astype(np.float32)).SerializeToString())


if __name__ == "__main__":
    main()
