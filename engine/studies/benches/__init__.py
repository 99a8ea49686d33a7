"""The benches: population training against plain Keras, timed in the product on the real data (population:
one task A population; study: a whole map; settings: members of different settings; tune: a tuning's arm;
precision: the experiment in float32 and bfloat16)."""
