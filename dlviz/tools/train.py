"""Train the models that ship in assets/: ``python -m dlviz.train digits --data mnist.npz``.

``digits`` trains the digit CNN on the full MNIST training set with
augmentation that imitates drawings on the canvas, prints its accuracy on the
10,000 test images, and saves it for inference (no optimizer state).
``subsets`` writes the small MNIST samples the Digits page ships.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from dlviz.digits import engine as digits  # noqa: E402
from dlviz.digits import variants  # noqa: E402


def load_mnist(path: str | None):
    """MNIST as Keras gives it: from an ``mnist.npz`` file, or Keras's own download."""
    if path:
        with np.load(path) as data:
            return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])
    from tensorflow import keras

    return keras.datasets.mnist.load_data()


def augmenter(seed: int):
    """Random changes a hand on a canvas makes: position, slant, size and stroke width.

    Preprocessing already centres and scales a drawing as MNIST was, so the
    shifts and zooms are small; stroke width varies most between people.
    """
    import tensorflow as tf
    from tensorflow import keras

    geometry = keras.Sequential(
        [
            keras.layers.RandomRotation(15 / 360, fill_mode="constant", seed=seed),
            keras.layers.RandomZoom((-0.15, 0.15), fill_mode="constant", seed=seed + 1),
            keras.layers.RandomTranslation(0.08, 0.08, fill_mode="constant", seed=seed + 2),
        ]
    )

    def stroke_width(images):
        pick = tf.random.uniform([tf.shape(images)[0], 1, 1, 1], seed=seed + 3)
        thick = tf.nn.max_pool2d(images, 3, 1, "SAME")
        bolder = tf.nn.max_pool2d(images, 2, 1, "SAME")
        thinner = -tf.nn.max_pool2d(-images, 2, 1, "SAME")
        out = tf.where(pick < 0.15, thick, images)
        out = tf.where((pick >= 0.15) & (pick < 0.35), bolder, out)
        return tf.where(pick > 0.85, thinner, out)

    def augment(images, labels):
        return stroke_width(geometry(images, training=True)), labels

    return augment


def with_variants(x_train: np.ndarray, y_train: np.ndarray, per_variant: int, seed: int):
    """MNIST's training images and ``per_variant`` drawings of each handwriting variant MNIST lacks
    (``dlviz.digits.variants``), drawn with other seeds than the shipped test set's."""
    if per_variant <= 0:
        return x_train, y_train
    counts = {key: per_variant * variants.TRAINING_TIMES.get(key, 1) for key in variants.VARIANTS}
    extra = variants.make(counts, seed=variants.TEST_SEED + 1 + seed)
    x, y = extra["x"], extra["y"]
    print(f"training on {len(x_train)} MNIST images and {len(y)} drawn variants")
    return np.concatenate([x_train, x]), np.concatenate([y_train, y])


def train_digits(data: str | None, epochs: int, batch_size: int = 128, seed: int = 0, per_variant: int = 0) -> float:
    import tensorflow as tf
    from tensorflow import keras

    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = load_mnist(data)
    x_train, y_train = with_variants(x_train, y_train, per_variant, seed)
    x_train = (x_train[..., None] / 255.0).astype("float32")
    x_test = (x_test[..., None] / 255.0).astype("float32")
    train = (
        tf.data.Dataset.from_tensor_slices((x_train, y_train))
        .shuffle(len(x_train), seed=seed)
        .batch(batch_size)
        .map(augmenter(seed), num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )
    model = digits.cnn()
    steps = epochs * int(np.ceil(len(x_train) / batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(1e-3, steps, alpha=0.02)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    model.summary()
    started = time.time()
    model.fit(train, epochs=epochs, validation_data=(x_test, y_test), verbose=2 if not sys.stdout.isatty() else 1)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"trained in {time.time() - started:.0f} s; test accuracy {accuracy:.4f}")
    report_variants(model)
    digits.save_for_inference(model, digits.MODEL_PATH)
    print(f"saved {digits.MODEL_PATH} ({digits.MODEL_PATH.stat().st_size / 1024:.0f} KB)")
    return accuracy


def report_variants(model) -> dict[str, float]:
    if not variants.VARIANTS_PATH.exists():
        return {}
    test = variants.load()
    found = variants.accuracy_by_variant(test, model.predict(test["x"][..., None] / 255.0, verbose=0))
    for name, acc in found.items():
        print(f"  {variants.VARIANTS[name].name}: {acc:.1%}")
    return found


def write_subsets(data: str | None, n_train: int = 5000, n_test: int = 2000, seed: int = 0) -> None:
    (x_train, y_train), (x_test, y_test) = load_mnist(data)
    rng = np.random.default_rng(seed)
    train_idx = np.sort(rng.choice(len(x_train), n_train, replace=False))
    test_idx = np.sort(rng.choice(len(x_test), n_test, replace=False))
    digits.SUBSET_PATH.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        digits.SUBSET_PATH,
        x_train=x_train[train_idx], y_train=y_train[train_idx],
        x_test=x_test[test_idx], y_test=y_test[test_idx],
        train_index=train_idx, test_index=test_idx,
    )  # fmt: skip
    print(f"saved {digits.SUBSET_PATH} ({digits.SUBSET_PATH.stat().st_size / 1024:.0f} KB)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dlviz.train", description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["digits", "subsets"])
    parser.add_argument("--data", help="an mnist.npz in Keras's layout (default: Keras's download)")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--variants",
        type=int,
        default=variants.TRAINING_PER_VARIANT,
        help="drawings of each handwriting variant MNIST lacks, mixed into training (0: MNIST only)",
    )
    args = parser.parse_args(argv)
    if args.what == "digits":
        train_digits(args.data, args.epochs, seed=args.seed, per_variant=args.variants)
    else:
        write_subsets(args.data, seed=args.seed)


if __name__ == "__main__":
    main()
