import AttnLab
print("attnlab")
