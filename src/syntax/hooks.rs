//! Shell commands in `up`/`post-up` options that netvet understands. (Being written.)
