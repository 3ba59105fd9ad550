// All differentiable ops in one include.
#pragma once

#include "framework/autograd.h"
#include "framework/ops/attention_core.h"
#include "framework/ops/cumsum.h"
#include "framework/ops/elementwise.h"
#include "framework/ops/embedding.h"
#include "framework/ops/flash_attention.h"
#include "framework/ops/layernorm.h"
#include "framework/ops/loss.h"
#include "framework/ops/matmul.h"
#include "framework/ops/reduce.h"
#include "framework/ops/shape.h"
#include "framework/ops/softmax.h"
#include "framework/tensor.h"
