"""Fashion-MNIST class names, the one place they are spelled."""

CLASS_NAMES: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

N_CLASSES = len(CLASS_NAMES)
TEST_IMAGES_PER_CLASS = 1_000  # Fashion-MNIST's test set is balanced: task B tests on 2,000 images, half of each

# every unordered pair of classes, (i, j) with i < j: the second class is task B's positive one
ALL_PAIRS: tuple[tuple[int, int], ...] = tuple((i, j) for i in range(N_CLASSES) for j in range(i + 1, N_CLASSES))


def class_name(index: int) -> str:
    """Name of a class index, e.g. 5 -> 'Sandal'."""
    return CLASS_NAMES[index]


def class_label(index: int) -> str:
    """Index and name together, as shown to users: 'Sandal (5)'."""
    return f"{CLASS_NAMES[index]} ({index})"
