"""Reading the IDX files: the real ones load exactly, broken ones fail with a message that names the file."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from engine.data.fashion_mnist import Dataset, load_idx_folder, resolve_data_dir
from engine.errors import DataError
from tests.conftest import write_idx


def full_size_dataset() -> Dataset:
    """Official sizes, synthetic content (mostly zeros, so it compresses fast)."""
    x_train = np.zeros((60_000, 28, 28), dtype=np.uint8)
    x_train[:, 0, 0] = np.arange(60_000) % 251
    y_train = (np.arange(60_000) % 10).astype(np.uint8)
    x_test = np.zeros((10_000, 28, 28), dtype=np.uint8)
    y_test = (np.arange(10_000) % 10).astype(np.uint8)
    return Dataset(x_train, y_train, x_test, y_test, source="synthetic")


@pytest.fixture(scope="module")
def idx_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("idx")
    write_idx(folder, full_size_dataset())
    return folder


def copy_folder(source: Path, target: Path) -> Path:
    target.mkdir()
    for file in source.iterdir():
        (target / file.name).write_bytes(file.read_bytes())
    return target


def test_reads_what_was_written(idx_folder: Path) -> None:
    expected = full_size_dataset()
    loaded = load_idx_folder(idx_folder)
    np.testing.assert_array_equal(loaded.x_train, expected.x_train)
    np.testing.assert_array_equal(loaded.y_test, expected.y_test)
    assert loaded.x_test.shape == (10_000, 28, 28)


def test_missing_folder_names_it(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        load_idx_folder(tmp_path / "nowhere")


def test_missing_file_names_it(idx_folder: Path, tmp_path: Path) -> None:
    folder = copy_folder(idx_folder, tmp_path / "data")
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz: file not found"):
        load_idx_folder(folder)


def test_truncated_payload(idx_folder: Path, tmp_path: Path) -> None:
    folder = copy_folder(idx_folder, tmp_path / "data")
    target = folder / "t10k-images-idx3-ubyte.gz"
    payload = gzip.decompress(target.read_bytes())
    target.write_bytes(gzip.compress(payload[: len(payload) // 2]))
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte\.gz: .*truncated"):
        load_idx_folder(folder)


def test_cut_gzip_stream(idx_folder: Path, tmp_path: Path) -> None:
    folder = copy_folder(idx_folder, tmp_path / "data")
    target = folder / "train-labels-idx1-ubyte.gz"
    target.write_bytes(target.read_bytes()[:-100])
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte\.gz: not a readable gzip file"):
        load_idx_folder(folder)


def test_not_gzip_at_all(idx_folder: Path, tmp_path: Path) -> None:
    folder = copy_folder(idx_folder, tmp_path / "data")
    (folder / "train-images-idx3-ubyte.gz").write_bytes(b"<html>404 Not Found</html>")
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte\.gz: not a readable gzip file"):
        load_idx_folder(folder)


def test_wrong_magic_number(idx_folder: Path, tmp_path: Path) -> None:
    folder = copy_folder(idx_folder, tmp_path / "data")
    # the label file where the image file belongs
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes((folder / "t10k-labels-idx1-ubyte.gz").read_bytes())
    with pytest.raises(DataError, match="magic number 2049, expected 2051"):
        load_idx_folder(folder)


def test_label_out_of_range(idx_folder: Path, tmp_path: Path) -> None:
    folder = copy_folder(idx_folder, tmp_path / "data")
    labels = np.full(10_000, 3, dtype=np.uint8)
    labels[17] = 12
    payload = struct.pack(">2I", 2049, 10_000) + labels.tobytes()
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(payload))
    with pytest.raises(DataError, match=r"label 12 is outside 0\.\.9"):
        load_idx_folder(folder)


def test_wrong_image_count(tmp_path: Path) -> None:
    folder = tmp_path / "small"
    small = Dataset(
        np.zeros((100, 28, 28), np.uint8),
        np.zeros(100, np.uint8),
        np.zeros((10, 28, 28), np.uint8),
        np.zeros(10, np.uint8),
        source="small",
    )
    write_idx(folder, small)
    with pytest.raises(DataError, match="100 images, expected 60000"):
        load_idx_folder(folder)


def test_data_dir_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRANSFER_TUI_DATA", "/from/env")
    assert resolve_data_dir("/from/config") == Path("/from/config")
    assert resolve_data_dir(None) == Path("/from/env")
    monkeypatch.delenv("TRANSFER_TUI_DATA")
    assert resolve_data_dir(None) is None


def test_real_data_matches_provenance(real_dataset: Dataset) -> None:
    assert real_dataset.x_train.shape == (60_000, 28, 28)
    assert real_dataset.x_test.shape == (10_000, 28, 28)
    assert np.bincount(real_dataset.y_train).tolist() == [6_000] * 10
    assert np.bincount(real_dataset.y_test).tolist() == [1_000] * 10
    assert real_dataset.x_train.mean() == pytest.approx(72.940, abs=1e-3)
    assert real_dataset.x_test.std() == pytest.approx(89.873, abs=1e-3)


def test_failed_keras_download_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.data.fashion_mnist import load_dataset
    from engine.runtime import keras

    def offline():
        raise OSError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", offline)
    with pytest.raises(DataError, match=r"could not load Fashion-MNIST through Keras .*offline\? give a") as raised:
        load_dataset(None)
    assert raised.value.key == "data.dir"  # each interface says where it is set
