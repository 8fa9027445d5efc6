// fastify.inject() (light-my-request) is not part of tinykube's bundles: see fastify-unused.cjs.
'use strict';
module.exports = require('./fastify-unused.cjs').inject;
