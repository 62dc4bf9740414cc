## chapters/07-cnn: chapter 7, the convolutional network on Fashion-MNIST.

## Chapter 7: the convolutional network.
bin_PROGRAMS += ch07-cnn
ch07_cnn_SOURCES = chapters/07-cnn/ch07-cnn.c
FIGURE_CHAPTERS += ch07-cnn
