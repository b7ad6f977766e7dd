"""A live preview of image augmentation for the classroom (lesson 3).

Sliders set the rotation, shift, scale and warp strength; the digit is redrawn at every change,
next to the original. The drawing is a small PNG made without a matplotlib figure, so it redraws
instantly. Widgets carry stable CSS classes (``mlc-augment-*``) for the browser tests.
"""

from __future__ import annotations

import io

import numpy as np

from mlcourse.augment import _as_images, affine

__all__ = ["AugmentPreview", "digit_png"]


def digit_png(image, *, pixel_size: int = 20, vmax: float | None = None) -> bytes:
    """Render one greyscale image as PNG bytes, dark ink on white, each pixel a square block.

    Parameters
    ----------
    image : array-like of shape (h, w) or (h * w,)
        The image; values from 0 (background) to ``vmax`` (ink).
    pixel_size : int, default=20
        Side of each pixel's block in screen pixels.
    vmax : float or None, default=None
        Value drawn fully dark; by default the image's maximum.

    Returns
    -------
    bytes
        A PNG file.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> digit_png(load_digits().images[0])[:4]
    b'\\x89PNG'
    """
    from matplotlib import image as mpimg

    images, _ = _as_images(np.asarray(image, dtype=float).reshape(1, -1))
    if not isinstance(pixel_size, int) or not 1 <= pixel_size <= 100:
        raise ValueError(f"pixel_size must be an integer from 1 to 100, got {pixel_size!r}")
    img = images[0]
    top = float(img.max()) if vmax is None else float(vmax)
    big = np.kron(img, np.ones((pixel_size, pixel_size)))
    buf = io.BytesIO()
    mpimg.imsave(buf, big, cmap="gray_r", vmin=0.0, vmax=max(top, 1e-12), format="png")
    return buf.getvalue()


class AugmentPreview:
    """Sliders for rotation, shift, scale and warp that redraw a digit live.

    Parameters
    ----------
    images : array-like of shape (n, h, w) or (n, h * w)
        Images to choose from (for example ``load_digits().images``).
    index : int, default=0
        The image shown first.
    random_state : int, default=0
        Seed of the warp's displacement field, so the same slider values give the same picture.

    Attributes
    ----------
    widget : ipywidgets.VBox
        The whole preview; display it, or just put ``preview`` last in a cell.
    sliders : dict of str to ipywidgets slider
        ``"index"``, ``"angle"``, ``"shift"``, ``"scale"`` and ``"warp"``.
    image : ipywidgets.Image
        The distorted digit (CSS class ``mlc-augment-image``).
    redraws : int
        How many times the image was redrawn.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> preview = AugmentPreview(load_digits().images[:10])
    >>> preview.sliders["angle"].value = 20
    >>> preview.redraws
    2
    """

    def __init__(self, images, *, index: int = 0, random_state: int = 0):
        import ipywidgets as w

        self._images, _ = _as_images(images)
        n = self._images.shape[0]
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"index must be an integer, got {type(index).__name__}")
        if not 0 <= index < n:
            raise ValueError(f"index must be between 0 and {n - 1}, got {index}")
        self._seed = int(random_state)
        self._vmax = float(self._images.max())
        self.redraws = 0
        style = {"description_width": "110px"}
        layout = w.Layout(width="380px")
        self.sliders = {
            "index": w.IntSlider(index, 0, n - 1, description="image", style=style, layout=layout),
            "angle": w.FloatSlider(
                0, min=-45, max=45, step=1, description="angle (°)", style=style, layout=layout
            ),
            "shift": w.FloatSlider(
                0, min=-3, max=3, step=0.25, description="shift (px)", style=style, layout=layout
            ),
            "scale": w.FloatSlider(
                1, min=0.6, max=1.4, step=0.05, description="scale", style=style, layout=layout
            ),
            "warp": w.FloatSlider(
                0, min=0, max=2, step=0.1, description="warp (px)", style=style, layout=layout
            ),
        }
        for name, slider in self.sliders.items():
            slider.add_class("mlc-augment-slider")
            slider.add_class(f"mlc-augment-{name}")
            slider.continuous_update = True
            slider.observe(self._redraw, names="value")
        self.original = w.Image(format="png", layout=w.Layout(width="160px", height="160px"))
        self.original.add_class("mlc-augment-original")
        self.image = w.Image(format="png", layout=w.Layout(width="160px", height="160px"))
        self.image.add_class("mlc-augment-image")
        self.status = w.HTML()
        self.status.add_class("mlc-augment-status")
        pictures = w.HBox(
            [
                w.VBox([w.HTML("<b>original</b>"), self.original]),
                w.VBox([w.HTML("<b>augmented</b>"), self.image]),
            ]
        )
        self.widget = w.VBox([pictures, *self.sliders.values(), self.status])
        self.widget.add_class("mlc-augment-preview")
        self._redraw()

    def distorted(self) -> np.ndarray:
        """The current image with the sliders' distortion applied, shape (h, w)."""
        s = {k: v.value for k, v in self.sliders.items()}
        img = self._images[s["index"]][None]
        out = affine(
            img,
            angle=s["angle"],
            shift_x=s["shift"],
            shift_y=s["shift"],
            scale=s["scale"],
            warp=s["warp"],
            random_state=self._seed,
        )
        return out[0]

    def _redraw(self, change=None) -> None:
        s = {k: v.value for k, v in self.sliders.items()}
        self.original.value = digit_png(self._images[s["index"]], pixel_size=20, vmax=self._vmax)
        self.image.value = digit_png(self.distorted(), pixel_size=20, vmax=self._vmax)
        self.redraws += 1
        self.status.value = (
            f"redraw {self.redraws}: angle {s['angle']:+.0f}°, shift {s['shift']:+.2f} px, "
            f"scale {s['scale']:.2f}, warp {s['warp']:.1f} px"
        )

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
