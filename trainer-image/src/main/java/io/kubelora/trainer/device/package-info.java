/**
 * Which device a command computes on and why: the request ({@link io.kubelora.trainer.device.DeviceRequest},
 * from a run's resources.gpus or a --device option), what libtorch itself can use
 * ({@link io.kubelora.trainer.device.CudaInventory}), and the checked choice
 * ({@link io.kubelora.trainer.device.ComputeDevice}), which never falls back from a GPU to the CPU.
 */
package io.kubelora.trainer.device;
