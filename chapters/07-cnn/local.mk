## chapters/07-cnn: chapter 7, the convolutional network.
