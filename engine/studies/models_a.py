"""Model A of a study's seeds, the layer sweep's, the tuning's and a B-on-A leaderboard's alike: read back from the
model A cache when every seed has one, else trained as one population at the plan's next model A entry and kept
in the cache."""

from __future__ import annotations

from engine.config import ExperimentConfig
from engine.data.fashion_mnist import Dataset
from engine.data.packing import member_data
from engine.data.split import Tasks
from engine.execution.plan import PlanCursor
from engine.networks.population import Population
from engine.phases import MODEL_A
from engine.runtime import keras
from engine.storage.model_cache import ModelACache, cache_key
from engine.training.phase_loop import Session
from engine.training.population_trainer import PopulationTrainer, train_planned_phase
from engine.training.starts import initial_model_a


def cached_models_a(
    config: ExperimentConfig, dataset: Dataset, pair: tuple[int, int], cache: ModelACache | None
) -> list[keras.Model] | None:
    """Every seed's cached model A for `pair`, in the seeds' order; None unless each seed has one."""
    if cache is None:
        return None
    models = []
    for seed in config.run.seeds:
        cached = cache.load(cache_key(config, pair, seed, dataset))
        if cached is None:
            return None
        models.append(cached.model)
    return models


def initial_population_a(config: ExperimentConfig, seeds, n_classes: int) -> Population:
    """Model A of each of `seeds` as the seed starts it, as one population in the config's precision."""
    net = config.network
    starts = [initial_model_a(net, seed, n_classes) for seed in seeds]
    return Population(net, n_classes, "softmax", starts, precision=config.run.precision)


def trained_models_a(
    config: ExperimentConfig,
    dataset: Dataset,
    pair: tuple[int, int],
    tasks: dict[int, Tasks],
    cursor: PlanCursor,
    session: Session,
    cache: ModelACache | None = None,
) -> list[keras.Model]:
    """Model A of every seed, trained with [train_a]'s optimizer as one population; each that did not diverge is
    kept in `cache`."""
    seeds, train_a = tuple(config.run.seeds), config.train_a
    n_classes = len(tasks[seeds[0]].a_classes)
    population = initial_population_a(config, seeds, n_classes)
    trainer = PopulationTrainer(
        population, binary=False, optimizer=train_a.optimizer, learning_rate=train_a.learning_rate
    )
    index, planned = cursor.take(MODEL_A, seeds)
    data = member_data([tasks[s].a for s in seeds])
    histories = train_planned_phase(trainer, data, index=index, planned=planned, session=session)
    models = [population.member_model(member, "model_a") for member in range(len(seeds))]
    for seed, model, history in zip(seeds, models, histories, strict=True):
        if cache is not None and not history.diverged:
            cache.store(cache_key(config, pair, seed, dataset), model, history)
    return models
