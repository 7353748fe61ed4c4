"""Tooling for the book, not the method: the chapters' Colab set-up cell (:mod:`~ramen_edu.book.colab`),
the student copy without solutions (:mod:`~ramen_edu.book.student_copy`), the run-time page
``book/runtimes.md`` (:mod:`~ramen_edu.book.runtimes`), and ``ramen-edu demo``
(:mod:`~ramen_edu.book.demo`), the README's synthetic world → metrics table.

What the chapters call from the top level (``ramen_edu.book_result``, ``ramen_edu.run_record``)
stays in ``ramen_edu``.
"""
