# two genotypes; pick one with PATH:NAME
A = Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 1),
                     ('skip_connect', 0), ('dil_conv_3x3', 2), ('max_pool_3x3', 0), ('skip_connect', 2)],
             normal_concat=[2, 3, 4, 5],  # a list, not range
             reduce=[("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 1),
                     ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("avg_pool_3x3", 0),],
             reduce_concat=range(2, 6),)
BNAS = Genotype(reduce_concat=range(4, 6), normal_concat=range(2, 6), \
    reduce=[('avg_pool_3x3', 0), ('sep_conv_5x5', 1), ('avg_pool_3x3', 0), ('sep_conv_3x3', 1),
            ('max_pool_3x3', 2), ('skip_connect', 3), ('skip_connect', 1), ('skip_connect', 0)],
    normal=[('sep_conv_5x5', 0), ('avg_pool_3x3', 1), ('avg_pool_3x3', 0), ('sep_conv_5x5', 2),
            ('avg_pool_3x3', 2), ('avg_pool_3x3', 3), ('sep_conv_5x5', 2), ('sep_conv_5x5', 3)])
