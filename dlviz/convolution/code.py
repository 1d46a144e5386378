"""The Keras program of the Convolution page: a ``Conv2D`` whose weights are the kernel, ReLU and pooling."""

from __future__ import annotations

import numpy as np

from dlviz.core.keras_code import number_literal


def convolution_program(kernel, stride: int, padding: str, relu: bool, pool: str, pool_size: int,
                        image_name: str = "chelsea.png") -> str:  # fmt: skip
    """A Conv2D layer whose weights are the page's kernel, on a photo, as the course writes it."""
    k = np.asarray(kernel, np.float64)
    rows = ",\n".join("    [" + ", ".join(number_literal(v) for v in row) + "]" for row in k)
    pad = (k.shape[0] - 1) // 2 if padding == "same" else 0
    padding_line = f"    keras.layers.ZeroPadding2D({pad}),  # 'same': {pad} ring(s) of zeros\n" if pad else ""
    activation = ', activation="relu"' if relu else ""
    pooling = ""
    if pool != "none":
        layer = "MaxPooling2D" if pool == "max" else "AveragePooling2D"
        pooling = f"    keras.layers.{layer}({pool_size}),\n"
    return f'''"""The page's filter as a Keras Conv2D layer whose weights are the kernel."""
import numpy as np
from PIL import Image
from tensorflow import keras

IMAGE = "{image_name}"  # any photo; a dlviz checkout has this one in assets/images/
photo = Image.open(IMAGE).convert("RGB")
photo.thumbnail((512, 512))  # the page filters at most 512 pixels on the long side
image = np.asarray(photo, dtype="float32") @ np.array([0.299, 0.587, 0.114], dtype="float32") / 255.0

kernel = np.array([
{rows}
], dtype="float32")

model = keras.Sequential([
    keras.Input(shape=(*image.shape, 1)),
{padding_line}    keras.layers.Conv2D(1, kernel.shape, strides={stride}, use_bias=False{activation}),
{pooling}])
conv = next(layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D))
conv.set_weights([kernel[:, :, None, None]])  # a (rows, columns, in, out) kernel

result = keras.ops.convert_to_numpy(model(image[None, :, :, None]))[0, :, :, 0]
print("input", image.shape, "-> output", result.shape)
print("mean", float(result.mean()), "min", float(result.min()), "max", float(result.max()))
'''
