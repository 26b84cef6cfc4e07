#!/usr/bin/env node
'use strict';
// Flips some decisions (the runner must report them and exit 1).
require('./fake_engine').runFake(true);
