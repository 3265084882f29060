"""The engine: a recipe in, the outputs and the report out. Read in this order:

  driver        plans shards and stages, runs each stage's shard tasks and each global
                step's phases over an executor, then the outputs and the report
  context       the run context every task shares, the task and result records
  work          the work folder: fingerprint, layout version, fresh / resumed / refused
  task_runner   maps tasks over an executor, reusing those a previous attempt finished
  shard_task    one shard through one stage (in a worker)
  global_tasks  a global step's reduce, shard-pass and combine tasks (juicer.global_steps)
  outputs       data/, dropped/, quarantine/ cut into parts in row-id order

Executors (juicer/executors) only map the task functions of shard_task, global_tasks and
outputs over their workers."""
