/**
 * Text from a model: a prompt written the way the model was trained ({@link io.kubelora.trainer.data.PromptTemplate})
 * and continued greedily or by sampling ({@link io.kubelora.trainer.generate.Generator}), for the samples a run
 * writes while it trains and for {@code kubelora generate}.
 */
package io.kubelora.trainer.generate;
