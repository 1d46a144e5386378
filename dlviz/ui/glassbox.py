"""The Playground's glass box: one training point through the network, forward and backward, as numbers.

Everything shown is computed in ``dlviz.playground.glassbox``; this module only lays it out.
"""

from __future__ import annotations

import streamlit as st

from dlviz.core import datasets
from dlviz.playground import glassbox
from dlviz.ui.widgets import plain

num = glassbox.num


def _point(run, index: int):
    """Training point ``index``: its 2-D coordinates, the network's inputs for it, and its target."""
    point = run.split.x_train[index]
    return (
        point,
        datasets.features(run.split.x_train[index : index + 1], run.settings.features)[0],
        run.split.y_train[index],
    )


def _keep(key: str, options: list) -> None:
    """Forget a widget's value that is no longer among its options (the network or the data changed)."""
    if key in st.session_state and st.session_state[key] not in options:
        del st.session_state[key]


def _weight(d, j: int) -> int | None:
    """A weight's "from" as the widget holds it (an index; the bias after the inputs) as glassbox takes it."""
    return None if j == d.fan_in else j


def _label(run, y) -> str:
    return num(y) if run.settings.regression else f"class {int(y)}"


def _apply(run, index: int, lr: float, optimizer: str, done_key: str) -> None:
    """The button's callback: one plain SGD step on the chosen point, said in words."""
    _, x, y = _point(run, index)
    with run._lock:
        step = glassbox.glass_step(run.model, x, y, lr)
        glassbox.apply(run.model, step)
        after = glassbox.glass_step(run.model, x, y, lr)
    text = (f"Applied one step of plain gradient descent on training point {index} (learning rate {num(lr)}): every "
            f"weight moved by −learning rate × its gradient, and this point's loss went from {num(step.loss)} to "
            f"{num(after.loss)}. The epoch count did not change.")  # fmt: skip
    if optimizer != "sgd":
        text += " Training itself uses the optimizer chosen in the side panel; its own memory was left as it was."
    st.session_state[done_key] = text


def glass_box(run, settings, key_prefix: str = "pg") -> glassbox.GlassStep:
    """One training point, step by step: its forward pass, its loss, its gradients and one SGD step.

    ``run`` is the page's ``PlaygroundRun``; ``settings`` the page's current settings (for the learning rate).
    Returns the step shown, so that the page can write its numbers on the network diagram.
    """
    state = st.session_state
    key = f"{key_prefix}.glass"
    with st.container(border=True):
        done = state.pop(f"{key}.done", None)
        if done:
            st.success(done)
        st.caption("Follow one training point through the network: each neuron's weighted sum and activation, "
                   "the loss, then each weight's gradient and the gradient-descent update. Dropout is off here. "
                   "Pause training to read the numbers: they are for the weights when this was drawn.")  # fmt: skip
        n = len(run.split.x_train)
        if state.get(f"{key}.point", 0) >= n:
            state[f"{key}.point"] = 0
        index = int(st.number_input("Training point", 0, n - 1, key=f"{key}.point", help=f"0 to {n - 1}"))
        point, x, y = _point(run, index)
        names = [datasets.FEATURES[k].label for k in run.settings.features]
        lr = float(settings.lr)
        with run._lock:
            step = glassbox.glass_step(run.model, x, y, lr)

        about = f"Point {index}: x₁ = {num(point[0])}, x₂ = {num(point[1])}, label {_label(run, y)}. "
        if tuple(run.settings.features) != ("x1", "x2"):
            about += "Network inputs: " + ", ".join(f"{a} = {num(v)}" for a, v in zip(names, x, strict=True)) + ". "
        st.markdown(plain(about + "Prediction ŷ = " + ", ".join(num(v) for v in step.prediction) + "."))
        if glassbox.checked(step):
            st.caption(f"Checked against Keras's own layer outputs: largest difference {step.mismatch:.1e}.")
        else:
            st.warning(f"These numbers differ from Keras's own layer outputs by up to {step.mismatch:.3g}.")

        count = len(step.layers)
        layers = list(range(count))

        def layer_title(i: int) -> str:
            what = "Output" if i == count - 1 else f"Layer {i + 1}"
            return f"{what} ({step.layers[i].activation})"

        st.markdown("**Forward pass**: z = a·W + b, then the activation")
        for i, tab in enumerate(st.tabs([layer_title(i) for i in layers])):
            tab.dataframe(glassbox.forward_rows(step, i), hide_index=True)
        layer_col, neuron_col = st.columns(2)
        _keep(f"{key}.layer", layers)
        layer = layer_col.selectbox("Layer", layers, format_func=layer_title, key=f"{key}.layer")
        neurons = list(range(step.layers[layer].units))
        _keep(f"{key}.neuron", neurons)
        neuron = neuron_col.selectbox("Neuron", neurons, format_func=lambda k: glassbox.neuron_name(step, layer, k),
                                      key=f"{key}.neuron")  # fmt: skip
        st.code("\n".join(glassbox.neuron_formula(step, layer, neuron)), language=None, wrap_lines=True)

        st.markdown(f"**Loss** ({step.loss_name.replace('_', ' ')})")
        st.code(glassbox.loss_formula(step), language=None, wrap_lines=True)

        st.markdown(f"**Backward pass**: each weight's gradient, and its new value w − {num(lr)} × gradient")
        for i, tab in enumerate(st.tabs([layer_title(i) for i in layers])):
            tab.dataframe(glassbox.backward_rows(step, i, names), hide_index=True)
        wlayer_col, from_col, to_col = st.columns(3)
        _keep(f"{key}.wlayer", layers)
        wlayer = wlayer_col.selectbox("Layer", layers, format_func=layer_title, key=f"{key}.wlayer")
        d = step.layers[wlayer]
        sources = list(range(d.fan_in + (d.bias is not None)))  # the last one, d.fan_in, is the bias
        targets = list(range(d.units))
        _keep(f"{key}.from", sources)
        _keep(f"{key}.to", targets)
        source = from_col.selectbox("From", sources, format_func=lambda j: glassbox.source_name(step, wlayer, _weight(d, j), names),
                                    key=f"{key}.from")  # fmt: skip
        target = to_col.selectbox("To", targets, format_func=lambda k: glassbox.neuron_name(step, wlayer, k),
                                  key=f"{key}.to")  # fmt: skip
        st.code(glassbox.gradient_formula(step, wlayer, _weight(d, source), target) + "\n"
                + glassbox.weight_formula(step, wlayer, _weight(d, source), target), language=None, wrap_lines=True)  # fmt: skip

        st.button("Apply this step to the network", key=f"{key}.apply", icon=":material/skip_next:",
                  on_click=_apply, args=(run, index, lr, settings.optimizer, f"{key}.done"),
                  help="Change every weight to its new value: one step of plain gradient descent on this point.")  # fmt: skip
    return step
