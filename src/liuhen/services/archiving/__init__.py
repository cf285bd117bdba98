"""archiving"""
