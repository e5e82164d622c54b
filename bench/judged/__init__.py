"""The blind-judged dev set: real-style demands, pooled candidates, judges' grades and figures.

Files in this folder: ``queries.jsonl`` (the demands), ``JUDGING.md`` (the judges' instructions),
``packets/NN.md`` + ``packets/NN.tsv`` (what a judge reads and fills), ``judgments.tsv`` (the
collected grades, BEIR qrels layout) and ``pool.json`` (which system found what; never shown to
judges). Commands: ``python -m bench.judged.pool`` (pool, collect, write packets) and
``python -m bench.judged`` (figures for Silian and bm25s+jieba in the same run).
"""
